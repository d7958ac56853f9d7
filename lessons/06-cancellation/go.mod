module example.com/echo-workbook/lessons/06-cancellation

go 1.26
