// Haven's counselor console: the queue, claiming, and live chats. Text is only ever set with
// textContent (never innerHTML); every POST carries the session's CSRF token.
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="haven-csrf"]').getAttribute('content');
  var current = null; // the open chat's request id
  var lastMessage = 0;
  var NOTICES = {
    handoff_joined: 'You joined. The young person was told a counselor is here.',
    handoff_back_to_bot: 'Handed back to Haven.',
    handoff_ended: 'Chat ended.',
    left: 'The young person left the chat (quick exit, closed tab or lost connection).'
  };

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
    if (item.risk) { parts.push('RISK: crisis was mentioned'); }
    parts.push('waiting ' + item.waiting_minutes + ' min');
    if (item.shared) {
      parts.push('language ' + (item.language || 'unknown'));
      parts.push('region ' + (item.region || 'unknown'));
      parts.push('age ' + (item.age_band === 'adult' ? '18 or over' : 'under 18 or unknown'));
      parts.push('steps done: ' + ((item.steps_done || []).join(', ') || 'none'));
    } else {
      parts.push('no summary shared');
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
        queue.appendChild(card(item, 'Claim', function () { claim(item.id); }));
      });
      if (!state.queue.length) { queue.appendChild(el('li', 'Nobody is waiting.')); }
      state.chats.forEach(function (item) {
        chats.appendChild(card(item, 'Open', function () { open(item.id); }));
      });
      if (!state.chats.length) { chats.appendChild(el('li', 'No chats.')); }
    });
  }

  function say(text) {
    document.getElementById('console-status').textContent = text || '';
  }

  function claim(id) {
    say('');
    api('POST', 'claim', { id: id }).then(function (reply) {
      if (reply.id) { open(reply.id); return; }
      say(reply.message || 'This request is no longer waiting.');
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

  var SPEAKERS = { young_person: 'Young person: ', haven: 'Haven: ', counselor: 'Counselor: ' };

  // The chat before you joined, sent from the young person's page because they said yes.
  // Shown here only, never saved; plain text (textContent), like every message.
  function transcriptItem(message) {
    var item = el('li', null, 'transcript');
    var items = message.items || [];
    item.appendChild(el('p', items.length
      ? 'Earlier in this chat (shared by the young person, not saved):'
      : 'The young person agreed to share this chat, but their page held no earlier messages ' +
        '(for example after a reload).', 'hint'));
    var earlier = el('ol');
    items.forEach(function (entry) {
      earlier.appendChild(el('li', (SPEAKERS[entry.from] || '') + entry.text, 'earlier'));
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
    var text = message.from === 'notice' ? (NOTICES[message.text] || message.text) : message.text;
    var who = message.from === 'young_person' ? 'Young person: ' : message.from === 'counselor' ? 'You: ' : '';
    var item = el('li', who + text, message.from + (message.risk ? ' urgent' : ''));
    if (message.risk) { item.prepend(el('span', 'CRISIS WORDS ', 'tag')); }
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
    });
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
