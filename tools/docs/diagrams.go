package main

import "fmt"

func runDiagrams(args []string) int { fmt.Println("diagrams: not written yet"); return 2 }
