module example.com/echo-workbook/lessons/08-deadlines-limits

go 1.26.0
