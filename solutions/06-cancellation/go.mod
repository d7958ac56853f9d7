module example.com/echo-workbook/solutions/06-cancellation

go 1.26
