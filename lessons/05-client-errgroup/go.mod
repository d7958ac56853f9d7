module example.com/echo-workbook/lessons/05-client-errgroup

go 1.26

require golang.org/x/sync v0.22.0
