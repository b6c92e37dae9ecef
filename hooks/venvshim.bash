# venvshim hook for bash. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into ~/.bashrc
# and a bash login file; `venvshim uninstall` removes both. Do not edit: it is replaced on every
# install.
#
# At the first prompt, once every rc line has run, and then never again:
#  * puts $VENVSHIM_SHIM_DIR in front of PATH if anything moved it (an rc line that runs after
#    this one, such as uv's own `. "$HOME/.local/bin/env"`), and leaves PATH alone when it is
#    already first;
#  * starts `venvshim gc` detached and silent if a run is due: at most once per
#    $VENVSHIM_GC_INTERVAL seconds (default 3600) across all shells, kept by a stamp file in the
#    state root whose mtime is the time the next run is due (venvshim/autogc.py).
# Then it takes itself out of PROMPT_COMMAND: merely calling a function from PROMPT_COMMAND costs
# ~20 us, more than the 5% of a prompt it may take (tests/bench, row 6). Periodic gc for shells
# that stay open is the scheduler's job (systemd timer / launchd agent).

[ -n "${BASH_VERSION-}" ] || return 0

: "${VENVSHIM_SHIM_DIR:=${XDG_DATA_HOME:-$HOME/.local/share}/venvshim/bin}"

__venvshim_path() {
  case $PATH in
    "$VENVSHIM_SHIM_DIR" | "$VENVSHIM_SHIM_DIR":*) return 0 ;;
  esac
  [ -d "$VENVSHIM_SHIM_DIR" ] || return 0
  local rest=":$PATH:"
  while :; do
    case $rest in
      *":$VENVSHIM_SHIM_DIR:"*) rest=${rest/":$VENVSHIM_SHIM_DIR:"/:} ;;
      *) break ;;
    esac
  done
  rest=${rest#:}
  rest=${rest%:}
  PATH=$VENVSHIM_SHIM_DIR${rest:+:$rest}
}

__venvshim_gc() {
  local state
  if [ -n "${VENVSHIM_HOME-}" ]; then
    state=$VENVSHIM_HOME
  elif [[ $OSTYPE == darwin* ]]; then
    state="$HOME/Library/Application Support/venvshim"
  else
    state="${XDG_STATE_HOME:-$HOME/.local/state}/venvshim"
  fi
  # `: >` sets the mtime of autogc.now to now (a builtin: no fork); -nt compares it with the
  # due time. No state root yet: nothing was ever tombstoned, nothing to collect.
  { : >"$state/autogc.now"; } 2>/dev/null || return 0
  [ "$state/autogc.now" -nt "$state/autogc.stamp" ] || return 0
  [ -n "${VENVSHIM_PYTHON-}" ] && [ -x "$VENVSHIM_PYTHON" ] || return 0
  ("$VENVSHIM_PYTHON" -I -m venvshim.autogc --from hook </dev/null >/dev/null 2>&1 &)
}

__venvshim_first_prompt() {
  local status=$?
  __venvshim_path
  __venvshim_gc
  # Unhook (PROMPT_COMMAND may be a string or, since bash 5.1, an array: element 0 either way).
  PROMPT_COMMAND=${PROMPT_COMMAND//$'\n'__venvshim_first_prompt/}
  PROMPT_COMMAND=${PROMPT_COMMAND//__venvshim_first_prompt/}
  return $status
}

case $'\n'"${PROMPT_COMMAND-}"$'\n' in
  *$'\n'__venvshim_first_prompt$'\n'*) ;;
  *) PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}__venvshim_first_prompt" ;;
esac

__venvshim_path
