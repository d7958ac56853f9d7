module example.com/echo-workbook/solutions/09-udp-echo

go 1.26.0

require golang.org/x/time v0.16.0
