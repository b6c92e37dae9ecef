# venvshim hook for zsh. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into
# ${ZDOTDIR:-$HOME}/.zshrc and .zprofile; `venvshim uninstall` removes both. Do not edit: it is
# replaced on every install.
#
# Once every rc line has run, the shim directory must be first on PATH whatever those lines did
# after the block (uv's own `. "$HOME/.local/bin/env"`, a plain
# `export PATH="$HOME/.local/bin:$PATH"`); PATH is left alone when it already is. That moment
# differs with the kind of shell, and in both the hook acts once and is gone:
#  * a shell with a prompt (`zsh`, `zsh -i`, `zsh -l` in a terminal): the first prompt (precmd),
#    which also starts `venvshim gc` detached and silent if a run is due (at most once per
#    $VENVSHIM_GC_INTERVAL seconds, default 3600, across all shells: a stamp file in the state root
#    whose mtime is the time the next run is due; venvshim/autogc.py). Then it removes itself from
#    precmd: a hook function costs ~10 us a prompt in zsh, more than the 5% it may take
#    (tests/bench, row 6).
#  * a shell without a prompt (`zsh -ic CMD`, `zsh -ilc CMD`, `zsh -lc CMD`: how editors read PATH;
#    a login script): a DEBUG trap, set by the block in the last file with one that the shell reads
#    (.zshrc if interactive, else .zprofile; .zlogin comes after both and is covered too). It
#    tests one string while startup files run (zsh runs it before every command, in functions
#    too, ~3 us each) and, before the first command outside them, puts the shim first and gives
#    the DEBUG trap back as it was. A trap of the user's own keeps running all along, before ours.
# Periodic gc for shells that stay open is the scheduler's job (systemd timer / launchd agent).

[ -n "${ZSH_VERSION-}" ] || return 0

: ${VENVSHIM_SHIM_DIR:=${XDG_DATA_HOME:-$HOME/.local/share}/venvshim/bin}

__venvshim_path() {
  emulate -L zsh
  [[ ${path[1]-} == "$VENVSHIM_SHIM_DIR" ]] && return 0
  [[ -d $VENVSHIM_SHIM_DIR ]] || return 0
  path=("$VENVSHIM_SHIM_DIR" "${(@)path:#$VENVSHIM_SHIM_DIR}")
}

__venvshim_gc() {
  emulate -L zsh
  local state
  if [[ -n ${VENVSHIM_HOME-} ]]; then
    state=$VENVSHIM_HOME
  elif [[ $OSTYPE == darwin* ]]; then
    state="$HOME/Library/Application Support/venvshim"
  else
    state="${XDG_STATE_HOME:-$HOME/.local/state}/venvshim"
  fi
  # No state root yet: nothing was ever tombstoned, nothing to collect.
  [[ -d $state ]] || return 0
  local stamp=$state/autogc.stamp
  if [[ -e $stamp ]]; then
    # The glob qualifier reads the mtime (the due time) without a fork: `ms+0` matches once
    # that time has passed.
    local -a due
    due=( $stamp(N.ms+0) )
    (( $#due )) || return 0
  fi
  [[ -n ${VENVSHIM_PYTHON-} && -x $VENVSHIM_PYTHON ]] || return 0
  ( "$VENVSHIM_PYTHON" -I -m venvshim.autogc --from hook </dev/null >/dev/null 2>&1 & )
}

__venvshim_first_prompt() {
  __venvshim_path
  __venvshim_gc
  add-zsh-hook -d precmd __venvshim_first_prompt
}

__venvshim_debug() {
  emulate -L zsh
  setopt no_local_traps # what is done to the trap here must outlive the function
  __venvshim_path
  if [[ ${__venvshim_user_debug-} == __venvshim_user_trapdebug ]]; then
    functions[TRAPDEBUG]=$functions[__venvshim_user_trapdebug] # defining it sets the trap again
    unfunction __venvshim_user_trapdebug
  elif [[ -n ${__venvshim_user_debug-} ]]; then
    trap -- "$__venvshim_user_debug" DEBUG
  else
    trap - DEBUG
  fi
  unset __venvshim_user_debug
}

__venvshim_arm() {
  emulate -L zsh
  setopt no_local_traps
  # From .zprofile in an interactive shell: .zshrc has a block too, and a trap set there does
  # not run through all of .zshrc. ([1] is this call, in the hook; [2] where the hook was sourced.)
  [[ -o interactive && ${funcfiletrace[2]%:*} == */.zprofile ]] && return 0
  # The DEBUG trap now set, if any: `trap -- 'command' DEBUG` in the listing of all traps.
  local -a words
  words=( ${(z)"$(trap)"} )
  local i current= found=
  for (( i = 4; i <= $#words; i++ )); do
    if [[ $words[i] == DEBUG && $words[i-3] == trap && $words[i-2] == -- ]]; then
      found=1 current=${(Q)words[i-1]}
    fi
  done
  [[ $current == *__venvshim_debug* ]] && return 0 # armed already
  __venvshim_user_debug=$current
  if [[ -z $found ]] && (( ${+functions[TRAPDEBUG]} )); then
    # The function form of the same trap: setting ours undefines it; kept under another name.
    functions[__venvshim_user_trapdebug]=$functions[TRAPDEBUG]
    __venvshim_user_debug=__venvshim_user_trapdebug
  fi
  # ZSH_EVAL_CONTEXT starts with "file" while startup files run ("cmdarg" for -c, "toplevel" for
  # a script); the string, not $zsh_eval_context[1], whatever KSH_ARRAYS says.
  local ours='[[ $ZSH_EVAL_CONTEXT == file:* ]] || __venvshim_debug' nl=$'\n'
  trap -- "${__venvshim_user_debug:+$__venvshim_user_debug$nl}$ours" DEBUG
}

if [[ -o interactive && -z ${ZSH_EXECUTION_STRING+x} ]]; then
  autoload -Uz add-zsh-hook && add-zsh-hook precmd __venvshim_first_prompt
else
  __venvshim_arm
fi

__venvshim_path
