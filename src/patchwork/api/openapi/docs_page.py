# ruff: noqa: E501  (an embedded HTML/JS asset, kept as written)
"""The API reference page: a small self-contained renderer of /api/openapi.json.

No framework and no CDN: the page fetches the document from the same server and builds the
reference with DOM calls (``textContent`` only, so nothing in the document can inject markup).
"""

from __future__ import annotations

DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Patchwork API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:1rem 2rem}
main{max-width:1000px;margin:0 auto;padding:1rem 2rem}
h2{border-bottom:1px solid #ccd;padding-bottom:.2rem;margin-top:2rem;text-transform:capitalize}
details{background:#fff;border:1px solid #dde;border-radius:6px;margin:.5rem 0}
summary{cursor:pointer;padding:.5rem .8rem;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:4.5em;font-weight:bold;text-transform:uppercase}
.get{color:#0a6}.post{color:#06c}.put{color:#a60}.delete{color:#c22}.head{color:#777}
.body{padding:0 1rem 1rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
td,th{border:1px solid #e2e4ea;padding:.25rem .5rem;text-align:left;vertical-align:top}
pre{background:#f3f4f7;padding:.5rem;overflow:auto;font-size:13px}
.lock{color:#a60;font-size:.85em}
</style>
</head>
<body>
<header><h1 id="title">Patchwork API</h1><div id="version"></div></header>
<main><div id="intro"></div><div id="ops">Loading /api/openapi.json…</div></main>
<script>
"use strict";
function el(tag, text, cls){const e=document.createElement(tag);
  if(text!==undefined&&text!==null)e.textContent=String(text); if(cls)e.className=cls; return e;}
function resolve(doc, s){let seen=0; while(s&&s.$ref&&seen++<20){
  s=s.$ref.split("/").slice(1).reduce((o,k)=>o&&o[k],doc);} return s||{};}
function expand(doc, s, depth){s=resolve(doc,s); if(depth>6)return s;
  const out={}; for(const [k,v] of Object.entries(s)){
    if(k==="properties"){out[k]={}; for(const [p,ps] of Object.entries(v))out[k][p]=expand(doc,ps,depth+1);}
    else if(k==="items"||k==="additionalProperties"&&typeof v==="object")out[k]=expand(doc,v,depth+1);
    else out[k]=v;} return out;}
function typeOf(s){if(!s)return ""; const t=Array.isArray(s.type)?s.type.join("|"):(s.type||"");
  const b=[]; for(const k of ["minimum","maximum","minLength","maxLength","default","format"])
    if(s[k]!==undefined)b.push(k+": "+JSON.stringify(s[k]));
  if(s.enum)b.push("one of "+s.enum.map(x=>JSON.stringify(x)).join(", "));
  return t+(b.length?" ("+b.join("; ")+")":"");}
function render(doc){
  document.getElementById("title").textContent=doc.info.title+" API";
  document.getElementById("version").textContent="version "+doc.info.version+" · OpenAPI "+doc.openapi;
  const intro=document.getElementById("intro"); intro.textContent="";
  for(const para of doc.info.description.split("\\n\\n"))intro.appendChild(el("p",para));
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths))for(const [method,op] of Object.entries(item)){
    const tag=(op.tags||["other"])[0]; (byTag[tag]=byTag[tag]||[]).push([path,method,op]);}
  const root=document.getElementById("ops"); root.textContent="";
  for(const t of doc.tags||[]){const ops=byTag[t.name]; if(!ops)continue;
    root.appendChild(el("h2",t.name)); root.appendChild(el("p",t.description));
    for(const [path,method,op] of ops){
      const d=el("details"), s=el("summary"); s.appendChild(el("span",method,"m "+method));
      s.appendChild(el("span",path+" — "+op.summary)); if(op.security)s.appendChild(el("span"," 🔒 token","lock"));
      d.appendChild(s); const b=el("div",null,"body"); d.appendChild(b);
      if(op.description)b.appendChild(el("p",op.description));
      if(op.parameters){b.appendChild(el("h4","Parameters")); const tb=el("table");
        const h=el("tr"); for(const c of ["name","in","type and bounds","description"])h.appendChild(el("th",c)); tb.appendChild(h);
        for(const p of op.parameters){const r=el("tr"); r.appendChild(el("td",p.name+(p.required?" *":"")));
          r.appendChild(el("td",p.in)); r.appendChild(el("td",typeOf(resolve(doc,p.schema))));
          r.appendChild(el("td",p.description||"")); tb.appendChild(r);} b.appendChild(tb);}
      if(op.requestBody){b.appendChild(el("h4","Request body"));
        for(const [mt,c] of Object.entries(op.requestBody.content)){b.appendChild(el("div",mt));
          b.appendChild(el("pre",JSON.stringify(expand(doc,c.schema,0),null,2)));}}
      b.appendChild(el("h4","Responses"));
      for(const [code,r] of Object.entries(op.responses)){b.appendChild(el("div",code+" — "+r.description));
        for(const [mt,c] of Object.entries(r.content||{})){
          if(c.schema&&Object.keys(c.schema).length)b.appendChild(el("pre",mt+"\\n"+JSON.stringify(expand(doc,c.schema,0),null,2)));
          else b.appendChild(el("div","  "+mt));}}
      root.appendChild(d);}}}
fetch("/api/openapi.json").then(r=>r.json()).then(render).catch(e=>{
  document.getElementById("ops").textContent="Cannot load /api/openapi.json: "+e;});
</script>
</body>
</html>
"""
