module example.com/echo-workbook/lessons/03-client-done-channel

go 1.26.0

require github.com/google/go-cmp v0.7.0
