module example.com/echo-workbook/solutions/03-client-done-channel

go 1.26
