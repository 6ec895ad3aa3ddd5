:: This script runs command 0 defined in TaskId fNOtb-1RQ2SA4LA2GGrhAw...
@echo off
set GREETING=a^&b 100%%
set TASK_ID=fNOtb-1RQ2SA4LA2GGrhAw
cd /d "C:\Users\task_1"
set errorlevel=
call "C:\Users\task_1\command_000000.bat" 2>&1
@echo off
set tcexitcode=%errorlevel%
set > "C:\Users\task_1\env.txt"
cd > "C:\Users\task_1\dir.txt"
exit /b %tcexitcode%
