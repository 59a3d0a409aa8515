// Runs first thing in <body>: marks browsers that can run the NHS.UK frontend components
// (ES modules), so their styles for enhanced components apply before the page is painted.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
