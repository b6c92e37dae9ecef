# venvshim hook for fish. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into
# conf.d/venvshim.fish; `venvshim uninstall` removes it. Do not edit: it is replaced on every
# install.
#
# Keeps $VENVSHIM_SHIM_DIR first on PATH: now, and whenever anything changes PATH afterwards
# (an event handler on PATH), such as config.fish running uv's own env.fish, `fish_add_path -m
# ~/.local/bin` or `set -gx PATH ~/.local/bin $PATH` (changes to the universal fish_user_paths
# reach PATH through fish's own handler, so they are covered too). That holds in every mode,
# `fish -c` and `fish -ilc` included, costs nothing while PATH stays as it is (no prompt pays for
# it), and leaves PATH alone when the shim is already first.
#
# At the first prompt (the fish_prompt event), once config.fish and conf.d have run, and then
# never again, it starts `venvshim gc` detached and silent once the stamp file in the state root
# says a run is due (its mtime is the due time; venvshim/autogc.py pushes it
# $VENVSHIM_GC_INTERVAL seconds, default 3600, ahead), so all shells share one interval. Then that
# handler erases itself: later prompts cost nothing (tests/bench, row 6). Periodic gc for shells
# that stay open is the scheduler's job.

if not set -q VENVSHIM_SHIM_DIR
    if set -q XDG_DATA_HOME
        set -g VENVSHIM_SHIM_DIR $XDG_DATA_HOME/venvshim/bin
    else
        set -g VENVSHIM_SHIM_DIR $HOME/.local/share/venvshim/bin
    end
end

function __venvshim_path --on-variable PATH
    test "$PATH[1]" = "$VENVSHIM_SHIM_DIR"; and return 0
    test -d "$VENVSHIM_SHIM_DIR"; or return 0
    # One assignment (its own event finds the shim first and stops there).
    set -l rest
    for dir in $PATH
        test "$dir" = "$VENVSHIM_SHIM_DIR"; or set -a rest $dir
    end
    set -gx PATH "$VENVSHIM_SHIM_DIR" $rest
end

function __venvshim_state
    if set -q VENVSHIM_HOME[1]; and test -n "$VENVSHIM_HOME"
        echo $VENVSHIM_HOME
    else if test -d "$HOME/Library/Application Support"; and test -d /System/Library
        echo "$HOME/Library/Application Support/venvshim"
    else if set -q XDG_STATE_HOME[1]; and test -n "$XDG_STATE_HOME"
        echo $XDG_STATE_HOME/venvshim
    else
        echo $HOME/.local/state/venvshim
    end
end

function __venvshim_gc
    set -l state (__venvshim_state)
    # Seconds since the due time: negative until it comes. No stamp: due, if a state root exists.
    set -l age (path mtime --relative -- $state/autogc.stamp)
    if test -n "$age"
        test "$age" -lt 0; and return 0
    else
        test -d "$state"; or return 0
    end
    test -n "$VENVSHIM_PYTHON"; and test -x "$VENVSHIM_PYTHON"; or return 0
    command "$VENVSHIM_PYTHON" -I -m venvshim.autogc --from hook </dev/null >/dev/null 2>&1 &
    disown $last_pid 2>/dev/null
end

if not builtin -q path
    # fish < 3.5: no mtime without a fork; gc is left to the scheduler and `venvshim gc`.
    function __venvshim_gc
    end
end

function __venvshim_first_prompt --on-event fish_prompt
    __venvshim_path
    __venvshim_gc
    functions -e __venvshim_first_prompt
end

__venvshim_path
