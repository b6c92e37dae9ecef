# venvshim hook for PowerShell (Windows PowerShell 5.1 and PowerShell 7). Dot-sourced by the
# block between `# >>> venvshim >>>` and `# <<< venvshim <<<` that `venvshim install
# --modify-path` (install.ps1) writes into $PROFILE when uv sits on the machine PATH, which
# Windows puts before the user PATH; `venvshim uninstall` removes it. Do not edit: it is replaced
# on every install. Saved as UTF-8 with a BOM so that Windows PowerShell 5.1 reads non-ASCII
# paths correctly.
#
# Before each prompt:
#  * puts $VENVSHIM_SHIM_DIR back in front of $env:PATH when it is not first, and leaves PATH
#    alone when it is;
#  * at most once per $env:VENVSHIM_GC_INTERVAL seconds (default 3600) starts venvshim's gc
#    hidden and detached. The stamp file in the state root holds the due time as its mtime
#    (venvshim/autogc.py), so all shells and the scheduled task share one interval.

if (-not $global:VENVSHIM_SHIM_DIR) {
    $global:VENVSHIM_SHIM_DIR = Join-Path $env:LOCALAPPDATA 'venvshim\bin'
}
if (-not $global:__venvshim_gc_next) {
    $global:__venvshim_gc_next = [DateTime]::MinValue
}

function global:__venvshim_path {
    $dir = $global:VENVSHIM_SHIM_DIR.TrimEnd('\')
    $parts = @($env:PATH -split ';')
    if ($parts.Count -gt 0 -and $parts[0].TrimEnd('\') -ieq $dir) { return }
    if (-not [IO.Directory]::Exists($dir)) { return }
    $rest = @($parts | Where-Object { $_ -and ($_.TrimEnd('\') -ine $dir) })
    $env:PATH = (@($global:VENVSHIM_SHIM_DIR) + $rest) -join ';'
}

function global:__venvshim_gc {
    $now = [DateTime]::UtcNow
    if ($now -lt $global:__venvshim_gc_next) { return }
    $every = 3600
    if ($env:VENVSHIM_GC_INTERVAL -match '^[0-9]+$' -and [int]$env:VENVSHIM_GC_INTERVAL -gt 0) {
        $every = [int]$env:VENVSHIM_GC_INTERVAL
    }
    $global:__venvshim_gc_next = $now.AddSeconds([Math]::Min($every, 60))
    $state = if ($env:VENVSHIM_HOME) { $env:VENVSHIM_HOME } else { Join-Path $env:LOCALAPPDATA 'venvshim' }
    if (-not [IO.Directory]::Exists($state)) { return }
    $stamp = Join-Path $state 'autogc.stamp'
    if ([IO.File]::Exists($stamp) -and [IO.File]::GetLastWriteTimeUtc($stamp) -gt $now) { return }
    $py = $global:VENVSHIM_PYTHONW
    if (-not $py -or -not [IO.File]::Exists($py)) { return }
    try {
        Start-Process -FilePath $py -ArgumentList '-I', '-m', 'venvshim.autogc', '--from', 'hook' -WindowStyle Hidden
    } catch { }
}

if (-not (Test-Path function:global:__venvshim_user_prompt)) {
    if (Test-Path function:prompt) {
        Set-Item function:global:__venvshim_user_prompt -Value (Get-Item function:prompt).ScriptBlock
    } else {
        function global:__venvshim_user_prompt { "PS $($executionContext.SessionState.Path.CurrentLocation)$('>' * ($nestedPromptLevel + 1)) " }
    }
    function global:prompt {
        __venvshim_path
        __venvshim_gc
        & __venvshim_user_prompt
    }
}

__venvshim_path
