module example.com/echo-workbook/solutions/01-blocking-echo

go 1.26.0
