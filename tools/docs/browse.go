package main

import "fmt"

func runBrowse(args []string) int { fmt.Println("browse: not written yet"); return 2 }
