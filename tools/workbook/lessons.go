package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// A lesson is a numbered pair of modules: the learner's starter in
// lessons/NN-slug and the reference in solutions/NN-slug.
type lesson struct {
	Num  string // "01"
	Name string // "01-blocking-echo"
	Dir  string // lessons/01-blocking-echo, relative to the root
	Ref  string // solutions/01-blocking-echo, relative to the root
}

var lessonDir = regexp.MustCompile(`^(\d\d)-[a-z0-9-]+$`)

// findRoot returns the workbook's root: the nearest directory, from the
// working directory up, that holds go.work and a lessons folder.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "go.work")) && isDir(filepath.Join(dir, "lessons")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the workbook (no go.work next to a lessons folder above here)")
		}
		dir = parent
	}
}

// findLessons lists the lessons under root in order.
func findLessons(root string) ([]lesson, error) {
	entries, err := os.ReadDir(filepath.Join(root, "lessons"))
	if err != nil {
		return nil, err
	}
	var ls []lesson
	for _, e := range entries {
		m := lessonDir.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		ls = append(ls, lesson{
			Num:  m[1],
			Name: e.Name(),
			Dir:  filepath.Join("lessons", e.Name()),
			Ref:  filepath.Join("solutions", e.Name()),
		})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return ls, nil
}

// pickLessons keeps the lessons whose number is in nums ("3" and "03"
// both mean lesson 03); no nums means all of them.
func pickLessons(all []lesson, nums []string) ([]lesson, error) {
	if len(nums) == 0 {
		return all, nil
	}
	var picked []lesson
	for _, n := range nums {
		n = strings.TrimPrefix(n, "lesson-")
		if len(n) == 1 {
			n = "0" + n
		}
		found := false
		for _, l := range all {
			if l.Num == n {
				picked = append(picked, l)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("there is no lesson %s (the lessons are %s)", n, lessonNums(all))
		}
	}
	return picked, nil
}

func lessonNums(ls []lesson) string {
	var nums []string
	for _, l := range ls {
		nums = append(nums, l.Num)
	}
	return strings.Join(nums, ", ")
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// oneLesson finds the workbook and the one lesson args name.
func oneLesson(args []string) (string, lesson, error) {
	root, err := findRoot()
	if err != nil {
		return "", lesson{}, err
	}
	if len(args) != 1 {
		return "", lesson{}, fmt.Errorf("name one lesson, e.g. 01 (got %q)", args)
	}
	all, err := findLessons(root)
	if err != nil {
		return "", lesson{}, err
	}
	ls, err := pickLessons(all, args)
	if err != nil {
		return "", lesson{}, err
	}
	return root, ls[0], nil
}
