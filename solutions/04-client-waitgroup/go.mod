module example.com/echo-workbook/solutions/04-client-waitgroup

go 1.26
