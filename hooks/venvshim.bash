# venvshim hook for bash. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into ~/.bashrc
# and a bash login file (and by the sh hook when bash reads ~/.profile); `venvshim uninstall`
# removes them. Do not edit: it is replaced on every install.
#
# Once every rc line has run, the shim directory must be first on PATH whatever those lines did
# after the block (uv's own `. "$HOME/.local/bin/env"`, a plain
# `export PATH="$HOME/.local/bin:$PATH"`); PATH is left alone when it already is. That moment
# differs with the kind of shell, and in both the hook acts once and is gone:
#  * a shell with a prompt (`bash`, `bash -i`, `bash -l` in a terminal): the first prompt, from
#    PROMPT_COMMAND, which also starts `venvshim gc` detached and silent if a run is due (at most
#    once per $VENVSHIM_GC_INTERVAL seconds, default 3600, across all shells: a stamp file in the
#    state root whose mtime is the time the next run is due; venvshim/autogc.py). Then it takes
#    itself out of PROMPT_COMMAND: merely calling a function from there costs ~20 us, more than
#    the 5% of a prompt it may take (tests/bench, row 6).
#  * a shell without a prompt (`bash -ic CMD`, `bash -ilc CMD`, `bash -lc CMD`: how editors read
#    PATH; a login script): a DEBUG trap, set by __venvshim_arm, which the block calls. It does
#    nothing while startup files run and, before the first command outside them, puts the shim
#    first and gives the DEBUG trap back as it was. A trap of the user's own keeps running all
#    along: it is chained after ours, with `$?` and `$_` as they were. The block, not this file,
#    arms it: a trap set in a sourced file makes bash drop the one the rc file had set, which it
#    hides from the sourced file and restores afterwards only if the file set none. Not covered:
#    a first command that is a subshell, `( ... )` or a `{ ...; } |` group (bash runs no DEBUG
#    trap for it, and its child inherits none), and a DEBUG trap that a later rc line sets in
#    place of ours (`venvshim doctor` names the line that then wins).
# Periodic gc for shells that stay open is the scheduler's job (systemd timer / launchd agent).

# Other shells reading this file: nothing to arm.
__venvshim_arm() { unset -f __venvshim_arm; }

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

if [[ -z ${BASH_EXECUTION_STRING+x} && $- == *i* ]]; then
  case $'\n'"${PROMPT_COMMAND-}"$'\n' in
    *$'\n'__venvshim_first_prompt$'\n'*) ;;
    *) PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}__venvshim_first_prompt" ;;
  esac
else
  # No prompt will come (-c, or a non-interactive login shell): the DEBUG trap does it.
  __venvshim_debug() {
    local status=$? chained=${__venvshim_user_debug:+1}
    # Still inside a startup file (the outermost frame is its `source`): wait.
    if [[ ${FUNCNAME[${#FUNCNAME[@]}-1]} == source ]]; then
      __venvshim_armed=1
    else
      __venvshim_path
      if [[ -n $chained ]]; then
        trap -- "$__venvshim_user_debug" DEBUG
      else
        trap - DEBUG
      fi
      unset __venvshim_user_debug
    fi
    # Chained before the user's trap, it lets that see the status it would have seen; alone, it
    # must return 0: under extdebug a non-zero status skips the command.
    [[ -n $chained ]] || return 0
    return "$status"
  }
  # Traced: otherwise bash puts back, on return, the trap this function removes.
  declare -ft __venvshim_debug

  # Called by the block. Traced, so that it sees the DEBUG trap of the rc file, the user's own if
  # any; as little as possible runs here, as the user's trap runs before each command of it.
  # Armed already (a second block: ~/.profile after ~/.bashrc) if ours ran before this call,
  # since this file cleared the flag where no DEBUG trap runs: then no fork to read the trap.
  __venvshim_arm() {
    if [[ -n $__venvshim_armed ]]; then
      unset -f __venvshim_arm __venvshim_arm_with
    else
      __venvshim_arm_with "$(trap -p DEBUG)"
    fi
  }
  declare -ft __venvshim_arm
  __venvshim_armed=

  # Not traced: a trap set here stays set on return, since one was set (the user's is passed in).
  __venvshim_arm_with() {
    unset -f __venvshim_arm __venvshim_arm_with
    case $1 in *__venvshim_debug*) return 0 ;; esac # armed already
    __venvshim_user_debug=
    if [[ -n $1 ]]; then
      local -a words
      eval "words=($1)" # trap -- 'command' DEBUG
      __venvshim_user_debug=${words[2]}
      [[ $__venvshim_user_debug != - ]] || __venvshim_user_debug= # none, as POSIX mode lists it
    fi
    local ours='__venvshim_debug "$_"' nl=$'\n'
    trap -- "$ours${__venvshim_user_debug:+$nl$__venvshim_user_debug}" DEBUG
  }
fi

__venvshim_path
