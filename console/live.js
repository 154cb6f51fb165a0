// Haven's live console: the Socket.IO connection (/counselor/socket.io/, haven/handoff/live.py)
// and the alerts (a sound, a desktop notification). The server pushes; this file never sends
// anything on the socket (every action is a POST with the CSRF token, console.js). When the
// socket drops, `fallback` runs every 15 s until it is back, so nothing is missed meanwhile.
//
// Alerts stay off until the counselor clicks "Turn on alerts": a browser plays sound and asks
// for the notification permission only after a click, and the console never asks on load.
(function () {
  'use strict';
  var FALLBACK_MS = 15000;
  var audio = null;
  var enabled = false;

  function connect(handlers) {
    var timer = null;
    function startFallback() {
      if (timer === null) { timer = window.setInterval(handlers.fallback, FALLBACK_MS); }
    }
    function stopFallback() {
      if (timer !== null) { window.clearInterval(timer); timer = null; }
    }
    var socket = window.io({ path: '/counselor/socket.io/', withCredentials: true });
    socket.on('connect', function () { stopFallback(); handlers.online(true); });
    socket.on('disconnect', function () { handlers.online(false); startFallback(); });
    socket.on('connect_error', function () { handlers.online(false); startFallback(); });
    ['state', 'message', 'support', 'transferred', 'typing'].forEach(function (name) {
      socket.on(name, function (data) { handlers[name](data || {}); });
    });
    return socket;
  }

  // Called from the click on "Turn on alerts" only.
  function enableAlerts() {
    enabled = true;
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !audio) { audio = new Context(); }
      if (audio && audio.state === 'suspended') { audio.resume(); }
    } catch (error) { audio = null; }
    if ('Notification' in window && window.Notification.permission === 'default') {
      window.Notification.requestPermission();
    }
  }

  // A few beeps: [frequency Hz, seconds] each, at `volume` (0-1).
  function beep(notes, volume, wave) {
    if (!audio) { return; }
    var at = audio.currentTime;
    notes.forEach(function (note) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = wave;
      oscillator.frequency.value = note[0];
      gain.gain.setValueAtTime(volume, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + note[1]);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + note[1]);
      at += note[1] + 0.08;
    });
  }

  var SOUNDS = {
    // a new request: one soft tone
    request: function () { beep([[660, 0.25]], 0.2, 'sine'); },
    // at risk: louder, harsher, repeated, so it is told apart without looking
    risk: function () { beep([[880, 0.2], [660, 0.2], [880, 0.2], [660, 0.2]], 0.6, 'square'); },
    support: function () { beep([[520, 0.2], [780, 0.3]], 0.4, 'triangle'); },
    chat: function () { beep([[700, 0.2]], 0.2, 'sine'); }
  };

  // `kind` is request, risk, support or chat; `text` says what happened (no young person's words).
  function alert(kind, text) {
    if (!enabled) { return; }
    (SOUNDS[kind] || SOUNDS.request)();
    if ('Notification' in window && window.Notification.permission === 'granted') {
      try {
        new window.Notification(text, { tag: 'haven-' + kind, requireInteraction: kind === 'risk' });
      } catch (error) { /* some browsers allow notifications from a service worker only */ }
    }
  }

  window.HavenLive = {
    connect: connect,
    enableAlerts: enableAlerts,
    alert: alert,
    alertsEnabled: function () { return enabled; }
  };
}());
