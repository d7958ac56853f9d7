module example.com/echo-workbook/lessons/04-client-waitgroup

go 1.26
