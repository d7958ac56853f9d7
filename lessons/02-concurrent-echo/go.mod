module example.com/echo-workbook/lessons/02-concurrent-echo

go 1.26.0
