module example.com/echo-workbook/lessons/01-blocking-echo

go 1.26.0
