module example.com/echo-workbook/solutions/08-deadlines-limits

go 1.26.0
