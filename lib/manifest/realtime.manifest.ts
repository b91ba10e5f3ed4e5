/** Realtime domain entries of the route manifest (gathered by lib/routes.ts). */
import type { FunctionSpec } from '../route-manifest.types.ts';

export const functions: FunctionSpec[] = [
  {
    name: 'ws-connect',
    domain: 'realtime',
    entry: 'functions/realtime/connect.handler.ts',
    description: 'Records a WebSocket connection and its principal',
    websocket: ['$connect'],
    access: { tables: { connections: 'readwrite' } },
  },
  {
    name: 'ws-disconnect',
    domain: 'realtime',
    entry: 'functions/realtime/disconnect.handler.ts',
    description: 'Forgets a WebSocket connection',
    websocket: ['$disconnect'],
    access: { tables: { connections: 'readwrite' } },
  },
  {
    name: 'ws-default',
    domain: 'realtime',
    entry: 'functions/realtime/default.handler.ts',
    description: 'Answers ping and reports unknown actions as error frames',
    websocket: ['$default', 'ping'],
    access: { tables: { connections: 'read' }, websocketManagement: true },
  },
];
