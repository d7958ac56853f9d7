module example.com/echo-workbook/tools/docs

go 1.26.0
