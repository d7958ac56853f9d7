module example.com/echo-workbook/solutions/05-client-errgroup

go 1.26
