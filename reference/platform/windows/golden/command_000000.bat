@echo on
echo %GREETING% && cd sub && set X=1