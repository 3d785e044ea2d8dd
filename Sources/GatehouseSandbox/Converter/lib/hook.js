'use strict';
function convertHook() { throw new Error('not yet'); }
module.exports = { convertHook };
