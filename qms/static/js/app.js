// Confirm before destructive actions; open and close the menu on small screens.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
  var toggle = event.target.closest("[data-toggle=sidebar]");
  if (toggle) {
    document.getElementById("sidebar").classList.toggle("open");
  }
});
