# venvshim hook for fish. Sourced by the block between `# >>> venvshim >>>` and
# `# <<< venvshim <<<` that `venvshim install --modify-path` (install.sh) writes into
# conf.d/venvshim.fish; `venvshim uninstall` removes it. Do not edit: it is replaced on every
# install.
#
# Before each prompt (the fish_prompt event):
#  * puts $VENVSHIM_SHIM_DIR back in front of PATH if anything moved it (config.fish running
#    uv's own env.fish, an activated venv), and leaves PATH alone when it is already first;
#  * starts `venvshim gc` detached and silent once the stamp file in the state root says a run
#    is due (its mtime is the due time; venvshim/autogc.py pushes it $VENVSHIM_GC_INTERVAL
#    seconds, default 3600, ahead), so all shells share one interval.
# The common path is one comparison and one stat by the `path` builtin: no fork.

if not set -q VENVSHIM_SHIM_DIR
    if set -q XDG_DATA_HOME
        set -g VENVSHIM_SHIM_DIR $XDG_DATA_HOME/venvshim/bin
    else
        set -g VENVSHIM_SHIM_DIR $HOME/.local/share/venvshim/bin
    end
end

function __venvshim_path
    test "$PATH[1]" = "$VENVSHIM_SHIM_DIR"; and return 0
    test -d "$VENVSHIM_SHIM_DIR"; or return 0
    while set -l i (contains -i -- "$VENVSHIM_SHIM_DIR" $PATH)
        set -e PATH[$i]
    end
    set -gx PATH "$VENVSHIM_SHIM_DIR" $PATH
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

# Resolved once (and again only when VENVSHIM_HOME changes): a command substitution per prompt
# would cost more than everything else here.
set -g __venvshim_home_seen "$VENVSHIM_HOME"
set -g __venvshim_state_dir (__venvshim_state)

function __venvshim_gc
    if test "$VENVSHIM_HOME" != "$__venvshim_home_seen"
        set -g __venvshim_home_seen "$VENVSHIM_HOME"
        set -g __venvshim_state_dir (__venvshim_state)
    end
    set -l stamp $__venvshim_state_dir/autogc.stamp
    # Seconds since the due time: negative until it comes (the common path ends here).
    set -l age (path mtime --relative -- $stamp)
    if test -n "$age"
        test "$age" -lt 0; and return 0
    else
        test -d "$__venvshim_state_dir"; or return 0
    end
    # Launched already for this stamp: wait until autogc moves it (or another shell does).
    set -l due (path mtime -- $stamp); or set due missing
    set -q __venvshim_gc_launched; and test "$due" = "$__venvshim_gc_launched"; and return 0
    set -g __venvshim_gc_launched "$due"
    test -n "$VENVSHIM_PYTHON"; and test -x "$VENVSHIM_PYTHON"; or return 0
    command "$VENVSHIM_PYTHON" -I -m venvshim.autogc --from hook </dev/null >/dev/null 2>&1 &
    disown $last_pid 2>/dev/null
end

if not builtin -q path
    # fish < 3.5: no mtime without a fork; gc is left to the scheduler and `venvshim gc`.
    function __venvshim_gc
    end
end

function __venvshim_prompt --on-event fish_prompt
    __venvshim_path
    __venvshim_gc
end

__venvshim_path
