module example.com/echo-workbook/lessons/05-client-errgroup

go 1.26.0

// The starter does not import errgroup yet: you will. Keep this line, and
// do not run go mod tidy before you do, or the import will not resolve.
require golang.org/x/sync v0.24.0
