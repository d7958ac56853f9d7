module example.com/echo-workbook/lessons/03-client-done-channel

go 1.26
