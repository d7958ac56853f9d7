module example.com/echo-workbook/lessons/05-client-errgroup

go 1.26
