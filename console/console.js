// Haven's counselor console: the queue, claiming, and live chats. Text is only ever set with
// textContent (never innerHTML); every POST carries the session's CSRF token. Every text comes
// from the page's #console-texts (content/languages/<language>/console.yml).
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="haven-csrf"]').getAttribute('content');
  var TEXTS = JSON.parse(document.getElementById('console-texts').textContent);
  var current = null; // the open chat's request id
  var lastMessage = 0;
  var NOTICES = {
    handoff_joined: 'notice_joined',
    handoff_back_to_bot: 'notice_back_to_bot',
    handoff_ended: 'notice_ended',
    left: 'notice_left'
  };

  // A text of console.yml with its {placeholders} filled in (plain text, for textContent).
  function t(key, values) {
    return (TEXTS[key] || key).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function api(method, path, body) {
    var options = { method: method, credentials: 'same-origin', headers: {} };
    if (method === 'POST') {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRF-Token'] = csrf;
      options.body = JSON.stringify(body || {});
    }
    return fetch('/counselor/api/' + path, options).then(function (reply) {
      if (reply.status === 401) { window.location.reload(); }
      return reply.json().then(function (data) { data.status = reply.status; return data; });
    });
  }

  function describe(item) {
    var parts = [];
    if (item.risk) { parts.push(t('summary_risk')); }
    parts.push(t('summary_waiting', { minutes: item.waiting_minutes }));
    if (item.shared) {
      var steps = (item.steps_done || []).map(function (step) {
        return TEXTS['step_' + step] || step;
      });
      parts.push(t('summary_language', { language: item.language || t('summary_unknown') }));
      parts.push(t('summary_region', { region: item.region || t('summary_unknown') }));
      parts.push(t(item.age_band === 'adult' ? 'summary_adult' : 'summary_minor'));
      parts.push(t('summary_steps_done', { steps: steps.join(', ') || t('summary_no_steps') }));
    } else {
      parts.push(t('summary_not_shared'));
    }
    return parts.join(' · ');
  }

  function card(item, label, onClick) {
    var li = el('li', null, item.risk ? 'risk' : '');
    li.appendChild(el('p', describe(item)));
    var button = el('button', label);
    button.type = 'button';
    button.addEventListener('click', onClick);
    li.appendChild(button);
    return li;
  }

  function refresh() {
    api('GET', 'state').then(function (state) {
      var queue = document.getElementById('queue');
      var chats = document.getElementById('chats');
      queue.replaceChildren();
      chats.replaceChildren();
      state.queue.forEach(function (item) {
        queue.appendChild(card(item, t('claim'), function () { claim(item.id); }));
      });
      if (!state.queue.length) { queue.appendChild(el('li', t('queue_empty'))); }
      state.chats.forEach(function (item) {
        chats.appendChild(card(item, t('open'), function () { open(item.id); }));
      });
      if (!state.chats.length) { chats.appendChild(el('li', t('my_chats_empty'))); }
    });
  }

  function say(text) {
    document.getElementById('console-status').textContent = text || '';
  }

  function claim(id) {
    say('');
    api('POST', 'claim', { id: id }).then(function (reply) {
      if (reply.id) { open(reply.id); return; }
      say(reply.message || t('claim_gone'));
      refresh();
    });
  }

  function open(id) {
    current = id;
    lastMessage = 0;
    document.getElementById('messages').replaceChildren();
    document.getElementById('chat').hidden = false;
    poll();
    refresh();
  }

  var SPEAKERS = { young_person: 'young_person_said', haven: 'haven_said', counselor: 'counselor_said' };

  // The chat before you joined, sent from the young person's page because they said yes.
  // Shown here only, never saved; plain text (textContent), like every message.
  function transcriptItem(message) {
    var item = el('li', null, 'transcript');
    var items = message.items || [];
    item.appendChild(el('p', t(items.length ? 'transcript_shared' : 'transcript_empty'), 'hint'));
    var earlier = el('ol');
    items.forEach(function (entry) {
      var speaker = SPEAKERS[entry.from] ? t(SPEAKERS[entry.from]) + ' ' : '';
      earlier.appendChild(el('li', speaker + entry.text, 'earlier'));
    });
    item.appendChild(earlier);
    return item;
  }

  function show(message) {
    var list = document.getElementById('messages');
    if (message.from === 'transcript') {
      list.appendChild(transcriptItem(message));
      lastMessage = Math.max(lastMessage, message.n);
      return;
    }
    var notice = message.from === 'notice' && NOTICES[message.text];
    var text = notice ? t(notice) : message.text;
    var who = message.from === 'young_person' ? t('young_person_said') + ' '
      : message.from === 'counselor' ? t('you_said') + ' ' : '';
    var item = el('li', who + text, message.from + (message.risk ? ' urgent' : ''));
    if (message.risk) { item.prepend(el('span', t('crisis_words') + ' ', 'tag')); }
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    lastMessage = Math.max(lastMessage, message.n);
  }

  function poll() {
    if (!current) { return; }
    var id = current;
    api('GET', 'chats/' + encodeURIComponent(id) + '?after=' + lastMessage).then(function (chat) {
      if (id !== current) { return; }
      if (chat.status !== 200) { close(); return; }
      document.getElementById('chat-summary').textContent = describe(chat.summary);
      chat.messages.forEach(show);
      typingDots(chat.typing === true);
    });
  }

  // Typing dots both ways: shows whether the young person is typing (from the chat's state), and
  // tells the young person's widget when the counselor types (at most every 3 s, off on send).
  var typingSent = 0;
  function typingDots(youngPersonTyping) {
    var shown = document.getElementById('young-person-typing');
    if (!shown) {
      shown = el('p', t('young_person_typing'), 'hint');
      shown.id = 'young-person-typing';
      shown.setAttribute('aria-live', 'polite');
      document.getElementById('messages').after(shown);
      document.getElementById('text').addEventListener('input', function () {
        if (!current || Date.now() - typingSent < 3000) { return; }
        typingSent = Date.now();
        api('POST', 'chats/' + encodeURIComponent(current) + '/typing', { typing: true });
      });
      document.getElementById('send').addEventListener('submit', function () { typingSent = 0; });
    }
    shown.hidden = !youngPersonTyping;
  }

  function close() {
    current = null;
    document.getElementById('chat').hidden = true;
    refresh();
  }

  function finish(action) {
    if (!current) { return; }
    api('POST', 'chats/' + encodeURIComponent(current) + '/' + action).then(close);
  }

  document.getElementById('send').addEventListener('submit', function (event) {
    event.preventDefault();
    var box = document.getElementById('text');
    if (!current || !box.value.trim()) { return; }
    api('POST', 'chats/' + encodeURIComponent(current) + '/send', { text: box.value }).then(function () {
      box.value = '';
      poll();
    });
  });
  document.getElementById('resources').addEventListener('click', function () {
    if (!current) { return; }
    api('GET', 'chats/' + encodeURIComponent(current) + '/resources').then(function (reply) {
      var box = document.getElementById('text');
      box.value = (box.value ? box.value + '\n\n' : '') + (reply.text || '');
      box.focus();
    });
  });
  document.getElementById('hand-back').addEventListener('click', function () { finish('hand_back'); });
  document.getElementById('end').addEventListener('click', function () { finish('end'); });

  refresh();
  setInterval(refresh, 5000);
  setInterval(poll, 1500);
}());
