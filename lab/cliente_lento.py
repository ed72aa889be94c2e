"""cliente_lento.py: un cliente que envía su mensaje byte a byte.

Cómo ejecutarlo (con un servidor en marcha):

    py cliente_lento.py                   # 127.0.0.1:8080, un byte cada 0,2 s
    py cliente_lento.py 9000 0.05         # otro puerto, un byte cada 0,05 s

Sirve para ver qué hace cada servidor mientras un cliente tarda:

- `servidor.py` o un servidor de UN hilo con llamadas bloqueantes se queda
  dormido en recv() esperando el siguiente byte: un segundo cliente
  (`py cliente.py`) espera a que este termine;
- `servidor_hilos.py` y `servidor_selectors.py` atienden al segundo cliente
  en el acto (un hilo por conexión; un bucle de eventos que nunca espera).

También muestra que TCP no guarda los límites de los mensajes: el servidor
recibe el texto en muchos recv() pequeños.
"""

import socket
import sys
import time


def cliente_lento(mensaje, host="127.0.0.1", puerto=8080, pausa=0.2):
    s = socket.create_connection((host, puerto))
    # Sin Nagle: cada byte sale en su propio segmento (se ve en Wireshark)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print(f"Conectado a {host}:{puerto}; enviando {len(mensaje)} bytes, uno cada {str(pausa).replace('.', ',')} s", flush=True)
    for byte in mensaje.encode():
        s.sendall(bytes([byte]))
        time.sleep(pausa)
    s.close()
    print(f"Mensaje enviado al servidor: {mensaje}", flush=True)


if __name__ == "__main__":
    puerto = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    pausa = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    texto = sys.argv[3] if len(sys.argv) > 3 else "Hola, despacio"
    cliente_lento(texto, puerto=puerto, pausa=pausa)
