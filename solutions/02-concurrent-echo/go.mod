module example.com/echo-workbook/solutions/02-concurrent-echo

go 1.26.0
