/* The header test's program: the other translation units each include one header alone, so this
 * links only when every public and internal header compiles by itself without a warning. */
#include <stdio.h>

int main(void)
{
    printf("1..1\nok 1 - every header compiles alone\n");
    return 0;
}
