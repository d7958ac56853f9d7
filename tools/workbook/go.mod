module example.com/echo-workbook/tools/workbook

go 1.26
