# The Echo Workbook. `make help` lists everything.
#
# Lesson commands take the lesson as a goal of its own, in either order:
#     make lesson-03 test      make test lesson-03      make test LESSON=03
# A lesson alone runs its tests: `make lesson-03`.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

MODULE := example.com/echo-workbook
# The workbook's own command (tools/workbook), built into .workbook/bin and
# rebuilt only when its source changes: quicker than `go run` on every call,
# and no "exit status 1" from go run after a command that said why it failed.
# A target that runs it lists it as a prerequisite.
WB := .workbook/bin/workbook
$(WB): $(filter-out %_test.go,$(wildcard tools/workbook/*.go)) tools/workbook/go.mod tools/workbook/go.sum
	@command -v go >/dev/null || { echo "Go is not installed, or not on your PATH: install Go 1.26 or newer from https://go.dev/dl/" >&2; exit 2; }
	@mkdir -p $(@D)
	@go build -o $@.$$$$ ./tools/workbook && mv -f $@.$$$$ $@

# ---- which lesson ---------------------------------------------------------

LESSON_GOALS := $(filter lesson-%,$(MAKECMDGOALS))
ifneq ($(words $(LESSON_GOALS)),0)
  ifneq ($(words $(LESSON_GOALS)),1)
    $(error one lesson at a time, please: $(LESSON_GOALS))
  endif
  LESSON := $(patsubst lesson-%,%,$(LESSON_GOALS))
endif
# "3" means "03".
ifneq ($(LESSON),)
  override LESSON := $(if $(filter 1 2 3 4 5 6 7 8 9,$(LESSON)),0$(LESSON),$(LESSON))
  LESSON_DIR := $(wildcard lessons/$(LESSON)-*)
  SOLUTION_DIR := $(wildcard solutions/$(LESSON)-*)
  ifeq ($(LESSON_DIR),)
    $(error there is no lesson $(LESSON); the lessons are: $(patsubst lessons/%,%,$(wildcard lessons/[0-9][0-9]-*)))
  endif
  # The lesson after this one: the smallest number that sorts after it.
  NEXT_LESSON := $(firstword $(foreach n,$(sort $(foreach d,$(wildcard lessons/[0-9][0-9]-*),$(firstword $(subst -, ,$(notdir $(d)))))),$(if $(filter $(LESSON),$(lastword $(sort $(LESSON) $(n)))),,$(n))))
endif

# ---- how tests run --------------------------------------------------------

# -race is on: most lessons are about goroutines, and a data race is a bug
# the tests must show. RACE=0 turns it off; without cgo it is off, loudly.
RACE ?= 1
ifeq ($(RACE),1)
  ifneq ($(shell go env CGO_ENABLED),1)
    RACE_WARNING := the race detector needs cgo, which is off here (CGO_ENABLED=0); running WITHOUT -race. Install a C compiler (gcc) and set CGO_ENABLED=1, or say RACE=0 to silence this.
  else ifeq ($(shell command -v $$(go env CC) 2>/dev/null),)
    RACE_WARNING := the race detector needs a C compiler ($(shell go env CC)), and there is none; running WITHOUT -race. Install gcc (or clang), or say RACE=0 to silence this.
    export CGO_ENABLED := 0
  else
    RACE_FLAG := -race
  endif
endif
# The race detector's default 1s pause at exit only slows every run down.
export GORACE ?= atexit_sleep_ms=0
# -failfast: one failure at a time, the first in the file being the most
# basic. ALL=1 runs every test anyway. RUN=TestName picks tests. TIMEOUT
# cuts off tests that hang (watch too), with a dump of where each goroutine waits.
TIMEOUT ?= 60s
TEST_FLAGS = $(RACE_FLAG) -timeout $(TIMEOUT) $(if $(ALL),,-failfast) $(if $(RUN),-run '$(RUN)') $(if $(V),-v)

define need_lesson
	@if [ -z "$(LESSON)" ]; then echo "which lesson? say: make lesson-01 $@   (or: make $@ LESSON=01)" >&2; exit 2; fi
endef
define race_warning
	$(if $(RACE_WARNING),@echo "WARNING: $(RACE_WARNING)" >&2)
endef

##@ Learn

.PHONY: help
help: ## Show this help
	@b= c= r=; if [ -t 1 ] && [ -z "$$NO_COLOR" ] && [ "$$TERM" != dumb ]; then b=$$'\033[1m' c=$$'\033[36m' r=$$'\033[0m'; fi; \
	awk -v b="$$b" -v c="$$c" -v r="$$r" 'BEGIN { FS = ":.*## " } \
	  /^##@/ { printf "\n%s%s%s\n", b, substr($$0, 5), r } \
	  /^[a-zA-Z0-9_%-]+:.*## / { printf "  make %s%-18s%s %s\n", c, $$1, r, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo "Options: RACE=0 (no race detector)  ALL=1 (every test; every hint)  RUN=TestName  V=1  TIMEOUT=60s"
	@echo "         HINT=1 (hints from the first)  POLL=1 (watch by polling)  YES=1 (reset without asking)"
	@echo
	@echo "Start here: make doctor, then make lesson-01 test   (the lessons: $(patsubst lessons/%,%,$(wildcard lessons/[0-9][0-9]-*)))"

# `make lesson-03` selects lesson 03 for the other goals; alone, it tests it.
lesson-%: ## Select a lesson for the goals after it: make lesson-03 test
	@if [ "$(filter-out lesson-%,$(MAKECMDGOALS))" = "" ]; then $(MAKE) test LESSON=$(LESSON); fi

.PHONY: test
test: ## Run the lesson's tests on your code (make lesson-01 test)
	$(need_lesson)
	$(race_warning)
	@cd $(LESSON_DIR) && go test $(TEST_FLAGS) ./... && \
	  { echo "Lesson $(LESSON) passes. Compare with the reference: make lesson-$(LESSON) diff"; \
	    echo "$(if $(NEXT_LESSON),Next: make lesson-$(NEXT_LESSON) test   ($(wildcard lessons/$(NEXT_LESSON)-*)/README.md),That was the last lesson: make status shows them all.)"; } || \
	  { echo; echo "Not yet. Read the first failure above; stuck? make lesson-$(LESSON) hint"; \
	    echo "Re-run on every save: make lesson-$(LESSON) watch"; exit 1; }

.PHONY: watch
watch: $(WB) ## Re-run the lesson's tests on every save
	$(need_lesson)
	@$(WB) watch $(if $(RACE_FLAG),,-race=false) -timeout $(TIMEOUT) $(if $(POLL),-poll) $(LESSON)

.PHONY: hint
hint: $(WB) ## Show the lesson's next hint (ALL=1: all of them; HINT=1: start over)
	$(need_lesson)
	@$(WB) hint $(if $(ALL),-all) $(if $(HINT),-n $(HINT)) $(LESSON)

.PHONY: status
status: $(WB) ## Where you are: every lesson passing, failing or untouched
	$(race_warning)
	@$(WB) status $(if $(RACE_FLAG),,-race=false) $(if $(ALL),-all)

.PHONY: doctor
doctor: $(WB) ## Check this machine before the workshop: Go, race detector, tools, port 7007, modules
	@$(WB) doctor

.PHONY: run
run: ## Start the lesson's program (ARGS='-addr 127.0.0.1:9000'; CMD=echoclient picks another)
	$(need_lesson)
	@cmds=($(wildcard $(LESSON_DIR)/cmd/*)); \
	if [ $${#cmds[@]} -eq 0 ]; then echo "lesson $(LESSON) has no program to run" >&2; exit 2; fi; \
	cmd=$${cmds[0]}; [ -d $(LESSON_DIR)/cmd/echoserver ] && cmd=$(LESSON_DIR)/cmd/echoserver; \
	[ -n "$(CMD)" ] && cmd=$(LESSON_DIR)/cmd/$(CMD); \
	[ -d "$$cmd" ] || { echo "lesson $(LESSON) has no program $(CMD); it has: $(notdir $(wildcard $(LESSON_DIR)/cmd/*))" >&2; exit 2; }; \
	echo "go run ./$$cmd $(ARGS)"; go run ./$$cmd $(ARGS)

.PHONY: reset
reset: $(WB) ## Put the lesson's starter code back (asks first, keeps a backup)
	$(need_lesson)
	@$(WB) reset $(if $(YES),-yes) $(LESSON)

##@ Compare with the reference

.PHONY: solution
solution: ## Run the lesson's tests on the reference solution
	$(need_lesson)
	$(race_warning)
	@cd $(SOLUTION_DIR) && go test $(subst -failfast,,$(TEST_FLAGS)) ./... && \
	  echo "The reference passes lesson $(LESSON)'s tests. Your code against it: make lesson-$(LESSON) diff"

.PHONY: diff
diff: $(WB) ## Your code next to the reference (tests left out)
	$(need_lesson)
	@$(WB) diff $(LESSON)

##@ Maintain the workbook

.PHONY: verify
verify: $(WB) ## Check every lesson: starter fails, solution passes (-race, 3 runs), tests match, lint, docs
	@$(WB) verify $(if $(COUNT),-count $(COUNT)) $(LESSON)

.PHONY: kit
kit: ## Copy the shared test kit (tools/testkit/kit_test.go) into every lesson and solution
	@for d in lessons/[0-9][0-9]-* solutions/[0-9][0-9]-*; do cp tools/testkit/kit_test.go $$d/kit_test.go; done

.PHONY: docs
docs: ## Build the docs site into site/ (strict: a broken link or include fails)
	mkdocs build --strict

.PHONY: docs-serve
docs-serve: ## Serve the docs at http://127.0.0.1:8000, reloading on edits
	mkdocs serve

.PHONY: docs-outputs
docs-outputs: ## Record the test output the docs show (docs/outputs/) from real runs
	@go run $(MODULE)/tools/docs outputs $(LESSON)

.PHONY: diagrams
diagrams: ## Render docs/diagrams/*.mmd to the SVGs the pages show (needs npm and chromium)
	@go run $(MODULE)/tools/docs diagrams

.PHONY: docs-check
docs-check: ## Check the site: strict build, recorded outputs, diagrams, every page in headless chromium
	@go run $(MODULE)/tools/docs check

# No catch-all rule: a typo such as `make tset` fails loudly.
