# Sourced by bench/run.sh and bench/many_modes.sh.
# chain FILE N [SPECTRUM_KEYS]: N transmons in a row (EJ = 15, EC = 0.3 GHz), neighbours coupled
# by 2 fF, then `.spectrum levels=6 SPECTRUM_KEYS`.
chain() {
  : > "$1"
  i=1
  while [ "$i" -le "$2" ]; do
    printf 'B%s %s 0 ej=15\nC%s %s 0 ec=0.3\n' "$i" "$i" "$i" "$i" >> "$1"
    [ "$i" -gt 1 ] && printf 'CC%s %s %s 2fF\n' "$i" "$((i - 1))" "$i" >> "$1"
    i=$((i + 1))
  done
  printf '.spectrum levels=6%s\n' "${3:+ $3}" >> "$1"
}
