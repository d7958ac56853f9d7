# The Echo Workbook. `make help` lists every goal, each with the go run
# command that does the same without make.
#
# A lesson goal names its lesson in either order, or with LESSON:
#     make lesson-03 test      make test lesson-03      make test LESSON=03
# Settings are variables (make lesson-03 test COUNT=1); make hands them to
# the command in its environment, and the command reads them there.
#
# Every recipe is one line calling one of the workbook's two commands:
# tools/cmd/workbook (learning) and tools/cmd/maintain (checking the
# workbook). Both are built into .workbook/bin, again when tools/ changes.

.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory --no-builtin-rules

LESSON ?= $(patsubst lesson-%,%,$(filter lesson-%,$(MAKECMDGOALS)))

WORKBOOK := .workbook/bin/workbook
MAINTAIN := .workbook/bin/maintain
TOOLS := $(shell find tools/cmd tools/internal -name '*.go' ! -name '*_test.go') tools/go.mod tools/go.sum
.workbook/bin/%: $(TOOLS)
	@cd tools && GOWORK=off go build -o ../$@ ./cmd/$*

##@ Learn

.PHONY: help
help: $(WORKBOOK) ## Every goal, and the go run command that does the same
	@$(WORKBOOK) help

lesson-%: $(WORKBOOK) ## Pick lesson NN for the goals after it; alone, run its tests
	@$(if $(filter-out lesson-%,$(MAKECMDGOALS)),:,$(WORKBOOK) test $*)

.PHONY: test
test: $(WORKBOOK) ## Run the lesson's tests on your code
	@$(WORKBOOK) test $(LESSON)

.PHONY: watch
watch: $(WORKBOOK) ## Run the lesson's tests again on every save (keys: h hint, r run, q quit)
	@$(WORKBOOK) watch $(LESSON)

.PHONY: hint
hint: $(WORKBOOK) ## Show the lesson's next hint
	@$(WORKBOOK) hint $(LESSON)

.PHONY: run
run: $(WORKBOOK) ## Start the lesson's program on PORT (7007); try it with nc 127.0.0.1 7007
	@$(WORKBOOK) run $(LESSON)

.PHONY: reset
reset: $(WORKBOOK) ## Put the lesson's starter code back (asks first, keeps a backup)
	@$(WORKBOOK) reset $(LESSON)

.PHONY: status
status: $(WORKBOOK) ## Where you are: every lesson passing, failing or untouched
	@$(WORKBOOK) status

.PHONY: doctor
doctor: $(WORKBOOK) ## Check this machine before the workshop, and download the modules
	@$(WORKBOOK) doctor

##@ Compare with the reference

.PHONY: solution
solution: $(WORKBOOK) ## Run the lesson's tests on the reference solution
	@$(WORKBOOK) solution $(LESSON)

.PHONY: diff
diff: $(WORKBOOK) ## Your code next to the reference (tests left out)
	@$(WORKBOOK) diff $(LESSON)

##@ Teach

.PHONY: class
class: $(WORKBOOK) ## The room at a glance: every learner checkout in DIR, lesson by lesson (FORMAT=html|json, LEARNER=name)
	@$(WORKBOOK) class

##@ Maintain the workbook

.PHONY: verify
verify: $(MAINTAIN) ## Every lesson as designed: starter fails, solution passes, corpus caught, lint, docs
	@$(MAINTAIN) verify $(LESSON)

.PHONY: load
load: $(MAINTAIN) ## verify and every solution -race -count=20, beside CPU burners
	@$(MAINTAIN) load $(LESSON)

.PHONY: docs
docs: $(MAINTAIN) ## Build the docs site into site/ (strict)
	@$(MAINTAIN) docs

.PHONY: docs-serve
docs-serve: $(MAINTAIN) ## Serve the docs at http://127.0.0.1:8000, reloading on edits
	@$(MAINTAIN) docs-serve

.PHONY: docs-check
docs-check: $(MAINTAIN) ## Only the docs: strict build, diagrams, recorded outputs, every page in chromium
	@$(MAINTAIN) verify -docs $(LESSON)

.PHONY: docs-outputs
docs-outputs: $(MAINTAIN) ## Record the test output the docs show, from real runs
	@$(MAINTAIN) docs-outputs $(LESSON)

.PHONY: diagrams
diagrams: $(MAINTAIN) ## Render docs/diagrams/*.mmd to SVG (needs npm and chromium)
	@$(MAINTAIN) diagrams

.PHONY: kit
kit: $(MAINTAIN) ## Copy the shared test kit (tools/testkit) into every lesson and solution
	@$(MAINTAIN) kit

.PHONY: offline-kit
offline-kit: $(MAINTAIN) ## Gather every Go module into a folder for a room without internet
	@$(MAINTAIN) offline-kit

.PHONY: bench
bench: $(MAINTAIN) ## Reference servers side by side under lesson 10's load generator: round trips/s, MB/s, memory per idle connection
	@$(MAINTAIN) bench

.PHONY: offline
offline: $(MAINTAIN) ## Prove make lesson-01 test works from the offline kit with the module proxy off
	@$(MAINTAIN) offline

# Any other goal is a typo: fail, naming the nearest goal. The files make
# might look for a rule for get an empty one, so they never match it.
Makefile $(TOOLS): ;
%: $(WORKBOOK)
	@$(WORKBOOK) goal $@
