:: This script runs command 1 defined in TaskId fNOtb-1RQ2SA4LA2GGrhAw...
@echo off
set GREETING=a^&b 100%%
set TASK_ID=fNOtb-1RQ2SA4LA2GGrhAw
set X=1
cd /d "C:\Users\task_1\sub"
set errorlevel=
call "C:\Users\task_1\command_000001.bat" 2>&1
@echo off
set tcexitcode=%errorlevel%
set > "C:\Users\task_1\env.txt"
cd > "C:\Users\task_1\dir.txt"
exit /b %tcexitcode%
