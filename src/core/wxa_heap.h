/*
 * wxa_heap.h — a binary min-heap of pointers that knows where each element
 * sits, so that any element can be removed or re-placed in O(log n) (the
 * engine's scheduling queues). Each element keeps its position in an int
 * field at pos_offset: -1 while it is in no heap.
 */
#ifndef WXA_HEAP_H
#define WXA_HEAP_H

#include <stdbool.h>
#include <stddef.h>

typedef bool (*WxaHeapBefore) (const void *a, const void *b);

typedef struct WxaHeap
{
	void	  **items;
	int			n;
	int			cap;
	WxaHeapBefore before;
	size_t		pos_offset;
} WxaHeap;

void		wxa_heap_init(WxaHeap *h, WxaHeapBefore before, size_t pos_offset);
/* Room for n elements in all; false when out of memory. */
bool		wxa_heap_reserve(WxaHeap *h, int n);
/* Add item; false when out of memory (only if not reserved). */
bool		wxa_heap_push(WxaHeap *h, void *item);
/* The first element, or NULL. */
void	   *wxa_heap_top(const WxaHeap *h);
void	   *wxa_heap_pop(WxaHeap *h);
/* Take item out; nothing if it is not in this heap. */
void		wxa_heap_remove(WxaHeap *h, void *item);
/* Put item back in order after its key changed. */
void		wxa_heap_update(WxaHeap *h, void *item);
bool		wxa_heap_contains(const WxaHeap *h, const void *item);
void		wxa_heap_free(WxaHeap *h);

#endif
