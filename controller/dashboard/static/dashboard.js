// The dashboard's only script of its own: a serial console in the page, term.js
// (Debian's libjs-term.js) on the console proxy's WebSocket; a question before a form
// that deletes (data-confirm); an upload's progress and error. Everything else is htmx.
"use strict";

function attachSerialConsole(element) {
  if (element.dataset.attached || typeof Terminal === "undefined") {
    return;
  }
  element.dataset.attached = "yes";
  const term = new Terminal({cols: 100, rows: 24, useStyle: true, screenKeys: true});
  term.open(element);
  const socket = new WebSocket(element.dataset.url, ["binary"]);
  socket.binaryType = "arraybuffer";
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  socket.onopen = () => { element.dataset.state = "open"; };
  socket.onclose = () => {
    element.dataset.state = "closed";
    term.write("\r\n[console closed]\r\n");
  };
  socket.onmessage = (event) => {
    const text = decoder.decode(new Uint8Array(event.data), {stream: true});
    element.dataset.received = (element.dataset.received || "") + text;
    term.write(text);
  };
  const send = (data) => {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(encoder.encode(data));
    }
  };
  term.on("data", send);
  element.sendLine = (line) => send(line + "\r");
  term.focus();
}

function attachConsoles() {
  document.querySelectorAll(".terminal[data-url]").forEach(attachSerialConsole);
}

// Ask before a form with data-confirm goes (the text is data, never code).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// An htmx upload's progress as the browser sends the file.
document.addEventListener("htmx:xhr:progress", (event) => {
  const bar = event.target.querySelector && event.target.querySelector("progress");
  if (bar && event.detail.lengthComputable && event.detail.total) {
    bar.hidden = false;
    bar.value = 100 * event.detail.loaded / event.detail.total;
  }
});

// An htmx request the server refused: show the error page's message in the form.
document.addEventListener("htmx:responseError", (event) => {
  const place = event.target.querySelector && event.target.querySelector(".error");
  if (!place) {
    return;
  }
  const page = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
  const message = page.getElementById("error");
  place.textContent = message ? message.textContent :
    `The server answered ${event.detail.xhr.status}.`;
  place.hidden = false;
});

document.addEventListener("DOMContentLoaded", attachConsoles);
document.addEventListener("htmx:afterSettle", attachConsoles);
