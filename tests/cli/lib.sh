# Helpers the CLI test scripts share (sourced after WORK is set).
fails() {  # fails <pattern> <command...>: must exit non-zero with <pattern> on stderr
  local pattern=$1; shift
  if "$@" >"$WORK/out" 2>"$WORK/err"; then echo "expected failure: $*"; exit 1; fi
  grep -q -- "$pattern" "$WORK/err" || { echo "missing '$pattern' in: $(cat "$WORK/err")"; exit 1; }
}
