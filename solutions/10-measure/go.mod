module example.com/echo-workbook/solutions/10-measure

go 1.26.0

require golang.org/x/sync v0.24.0
