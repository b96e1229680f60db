// raftcheck view: stepping through the trace (checker/report/view.py writes the page).
(function(){
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var cur = 0, last = data.steps.length - 1, H = __ROW_H__, TOP = __TOP__;
  var cursor = document.getElementById('cursor');
  var panel = document.getElementById('panel');
  function esc(s){return String(s).replace(/[&<>"]/g,function(c){
    return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
  function cell(v, on){return '<td'+(on?' class="changed"':'')+'>'+esc(v)+'</td>';}
  function show(k){
    cur = Math.max(0, Math.min(last, k));
    document.body.setAttribute('data-step', cur);
    cursor.setAttribute('y', TOP + cur*H);
    var s = data.steps[cur];
    var h = '<h2>step ' + cur + ' of ' + last + ': ' + esc(s.action) + '</h2>';
    if (data.violation && data.violation.step === cur) {
      h += '<div class="vio" id="panel-violation">&#x2716; ' + esc(data.violation.property) +
           ' violated: ' + esc(data.violation.detail) + '</div>';
    }
    if (data.divergence && data.divergence.step === cur) {
      h += '<div class="vio" id="panel-divergence">&#x21AF; the trace leaves the model here: ' +
           esc(data.divergence.detail) + '</div>';
    }
    h += '<table><tr><th></th><th>role</th><th>term</th><th>vote</th><th>commit</th>' +
         '<th>log (term:value)</th></tr>';
    s.nodes.forEach(function(n, j){
      var c = s.changed[j], has = function(f){return c.indexOf(f) >= 0;};
      var log = n.log.map(function(e, i){return (i+1)+':'+e[0]+'='+e[1];}).join(' ') || '-';
      h += '<tr><th>S'+(j+1)+'</th>' + cell(n.role, has('role')) + cell(n.term, has('term')) +
           cell(n.vote === null ? '-' : 'S'+n.vote, has('vote')) +
           cell(n.commit, has('commit')) + cell(log, has('log')) + '</tr>';
      if (n.role === 'Leader' || n.votes.length) {
        var extra = n.role === 'Leader' ? 'next ' + n.next.join(',') + ' match ' + n.match.join(',')
                                        : 'votes from ' + n.votes.map(function(v){return 'S'+v;}).join(',');
        h += '<tr><td></td><td colspan="5"' + ((has('next')||has('match')||has('votes'))?' class="changed"':'') +
             '>' + esc(extra) + '</td></tr>';
      }
    });
    h += '</table><p>elected: ' + (s.elections.map(function(e){return 't'+e[0]+':S'+e[1];}).join(', ') || '-') +
         '<br>committed: ' + (s.committed.map(function(c){return c[0]+':t'+c[1]+'='+c[2]+'@t'+c[3];}).join(', ') || '-') +
         '<br>messages in flight: ' + s.inflight + '</p>';
    panel.innerHTML = h;
    document.querySelectorAll('.arrow').forEach(function(a){
      var on = a.getAttribute('data-from') == cur || a.getAttribute('data-to') == cur;
      a.classList.toggle('active', on);
    });
    var r = document.querySelector('.row[data-step="' + cur + '"]').getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) {
      window.scrollBy(0, r.top - window.innerHeight / 2);
    }
  }
  document.addEventListener('keydown', function(e){
    var k = e.key;
    if (k === 'ArrowDown' || k === 'ArrowRight' || k === 'j' || k === 'n' || k === ' ') show(cur+1);
    else if (k === 'ArrowUp' || k === 'ArrowLeft' || k === 'k' || k === 'p') show(cur-1);
    else if (k === 'Home') show(0);
    else if (k === 'End') show(last);
    else if (k === 'v' && (data.violation || data.divergence))
      show((data.violation || data.divergence).step);
    else return;
    e.preventDefault();
  });
  document.querySelectorAll('.row').forEach(function(r){
    r.addEventListener('click', function(){show(+r.getAttribute('data-step'));});
  });
  show(0);
})();
