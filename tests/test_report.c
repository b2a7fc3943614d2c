/* Unit tests: SI formatting, the text view and the JSON document (parsed back with cJSON). */
#include "qpsim/report.h"

#include "tap.h"
#include "util.h"

#include <cjson/cJSON.h>

int main(void)
{
    char buf[64];
    qp_report_si(buf, sizeof buf, 80e-15, "F");
    QP_CHECK_STR(buf, "80 fF", "80 fF");
    qp_report_si(buf, sizeof buf, 1e6, "Ohm");
    QP_CHECK_STR(buf, "1 MOhm", "1 MOhm");
    qp_report_si(buf, sizeof buf, 999.9999999e-9, "H");
    QP_CHECK_STR(buf, "1 uH", "rounding to the next prefix");
    qp_report_si(buf, sizeof buf, 0.0, "F");
    QP_CHECK_STR(buf, "0 F", "zero");
    qp_report_si(buf, sizeof buf, -2.5e-6, "V");
    QP_CHECK_STR(buf, "-2.5 uV", "negative");

    qp_circuit *c;
    char *msgs;
    qp_status st = elaborate_text(".title Tunable transmon\n"
                                  "B1 1 0 ej=10 ec=1.2\nB2 1 0 ej=5 ec=1.2\nC1 1 0 ec=0.6\n"
                                  ".flux 0.3 B1 B2\n.ng 1 0.1\n.spectrum levels=4\n",
                                  NULL, NULL, 0, &c, &msgs);
    QP_CHECK(st == QP_OK, "SQUID transmon elaborates");
    free(msgs);
    if (!c) {
        return tap_done();
    }
    char *text = qp_report_circuit_text(c);
    QP_CHECK(text && strstr(text, "title: Tunable transmon"), "text: title");
    QP_CHECK(text && strstr(text, "EJ = 10 GHz"), "text: EJ of B1");
    QP_CHECK(text && strstr(text, "loop 1: f = 0.3   +B1 -B2"), "text: loop");
    QP_CHECK(text && strstr(text, "node 1: ng = 0.1"), "text: offset");
    free(text);
    char *json = qp_report_json(c, "deck.cir", NULL, NULL);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    QP_CHECK(root != NULL, "JSON parses");
    cJSON *circ = cJSON_GetObjectItem(root, "circuit");
    QP_CHECK(cJSON_IsString(cJSON_GetObjectItem(root, "qpsim")), "version member");
    QP_CHECK(cJSON_IsArray(cJSON_GetObjectItem(root, "analyses")) &&
                 cJSON_GetArraySize(cJSON_GetObjectItem(root, "analyses")) == 0,
             "analyses is an empty array");
    QP_CHECK(cJSON_IsNumber(cJSON_GetObjectItem(circ, "dim")) &&
                 cJSON_IsArray(cJSON_GetObjectItem(circ, "modes")),
             "circuit has dim and modes");
    cJSON *els = cJSON_GetObjectItem(circ, "elements");
    QP_CHECK(cJSON_GetArraySize(els) == 3, "three elements");
    cJSON *b1 = cJSON_GetArrayItem(els, 0);
    double ej = cJSON_GetNumberValue(cJSON_GetObjectItem(b1, "EJ_GHz"));
    QP_CHECK_REL(ej, 10.0, 1e-14, "B1 EJ_GHz in JSON at full precision");
    cJSON *loop = cJSON_GetArrayItem(cJSON_GetObjectItem(circ, "loops"), 0);
    QP_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(loop, "branches")) == 2, "loop branches");
    cJSON_Delete(root);
    free(json);
    qp_circuit_free(c);
    return tap_done();
}
