:: Run tc-worker (generic-worker compatible)

:: step inside folder containing this script
pushd %~dp0

"C:\tc\node.exe" "C:\tc\bin\tc-worker.js" run --config "C:\tc\generic-worker.config" > .\tc-worker.log 2>&1

:: Possible exit codes:
::    0: all tasks completed   - only occurs when numberOfTasksToRun > 0
::   67: rebooting             - system reboot has been triggered
::   68: idle timeout          - system shutdown has been triggered if shutdownMachineOnIdle=true
::   69: internal error        - system shutdown has been triggered if shutdownMachineOnInternalError=true
