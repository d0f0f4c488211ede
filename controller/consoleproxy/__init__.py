"""The console proxy: the one way from a browser (or any WebSocket client) to a guest's
VNC server or serial port, through a one-time token the compute API handed out."""
