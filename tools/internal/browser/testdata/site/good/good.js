// A script that loads and runs without error.
document.documentElement.dataset.scripted = "yes";
