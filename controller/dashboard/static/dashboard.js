// The dashboard's only script of its own: a serial console in the page, term.js
// (Debian's libjs-term.js) on the console proxy's WebSocket. Everything else is htmx.
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

document.addEventListener("DOMContentLoaded", attachConsoles);
document.addEventListener("htmx:afterSettle", attachConsoles);
